/** A notarised record (存证): who recorded which document hash, and when (block time). */
export interface NotaryRecord {
  hash: string;
  owner: string;
  name?: string;
  size?: number;
  mime?: string;
  height: number;
  time: number;
  tx: string;
}
