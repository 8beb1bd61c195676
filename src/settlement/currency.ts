/** ISO 4217 minor-unit exponents for formatting minor units as decimals (default 2). */
const EXPONENT: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export function minorDigits(currency: string): number {
  return EXPONENT[currency] ?? 2;
}

/** Minor units (string of digits, optionally signed) as a decimal string: "12345" CNY → "123.45". */
export function formatMinor(minor: string | bigint, currency: string): string {
  const v = BigInt(minor);
  const neg = v < 0n;
  const s = (neg ? -v : v).toString();
  const d = minorDigits(currency);
  if (d === 0) return (neg ? '-' : '') + s;
  const p = s.padStart(d + 1, '0');
  return `${neg ? '-' : ''}${p.slice(0, -d)}.${p.slice(-d)}`;
}

/** A decimal string ("123.45", "5") in a currency as minor units; refuses more decimals than the currency has. */
export function parseDecimal(text: string, currency: string): bigint {
  const d = minorDigits(currency);
  const m = /^(\d{1,30})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new RangeError(`"${text}" is not an amount such as 125.00`);
  const frac = m[2] ?? '';
  if (frac.length > d) throw new RangeError(`${currency} has ${d} decimal places; "${text}" has ${frac.length}`);
  return BigInt(m[1]! + frac.padEnd(d, '0'));
}
