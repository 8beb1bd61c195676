/** What every benchmark's default export resolves to: its figure next to the limit it is measured against. */
export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
  limit: number;
  limitWhat: string;
  ratio: number;
  [k: string]: unknown;
}
