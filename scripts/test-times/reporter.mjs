// A `node --test` reporter for scripts/test-times.mjs: one JSON line per test file, when the file's
// process has finished — {file, ms, ok} — from the runner's file-level `test:complete` event.
export default async function* fileTimes(source) {
  const failed = new Set();
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:fail' && data.file) failed.add(data.file);
    if (type === 'test:complete' && data.nesting === 0 && data.file && data.name === data.file) {
      yield `${JSON.stringify({ file: data.file, ms: Math.round(data.details.duration_ms), ok: !failed.has(data.file) && data.details.passed !== false })}\n`;
    }
  }
}
