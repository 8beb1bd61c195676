/**
 * Browser stand-in for the `ws` package: the browser's WebSocket with the `.on(event, fn)` calls
 * ShulianClient.subscribe makes (message data as a string, close reason as a string).
 */
type Handler = (...args: never[]) => void;

export default class NodeStyleWebSocket extends globalThis.WebSocket {
  on(event: 'open' | 'message' | 'close' | 'error', fn: Handler): this {
    const f = fn as unknown as (...a: unknown[]) => void;
    if (event === 'message') this.addEventListener('message', (e) => f(String((e as MessageEvent).data)));
    else if (event === 'close') this.addEventListener('close', (e) => f((e as CloseEvent).code, (e as CloseEvent).reason));
    else if (event === 'error') this.addEventListener('error', () => f(Object.assign(new Error('WebSocket error'), { code: 'ECONNREFUSED' })));
    else this.addEventListener('open', () => f());
    return this;
  }
}
