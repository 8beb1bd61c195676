const list = process.argv.slice(2);
for (const m of list) {
  const t = process.hrtime.bigint();
  await import(m.startsWith('dist') ? '/work/main/' + m : m);
  console.log(m.padEnd(40), (Number(process.hrtime.bigint() - t) / 1e6).toFixed(0), 'ms (cumulative new)');
}
