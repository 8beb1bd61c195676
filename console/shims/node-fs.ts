/** Browser stand-in for node:fs / node:fs/promises: the console never reads local files through the SDK. */
function unavailable(): never {
  throw new Error('file system access is not available in the browser console');
}
export const createReadStream = unavailable;
export const readFileSync = unavailable;
export const stat = unavailable;
export default { createReadStream, readFileSync, stat };
