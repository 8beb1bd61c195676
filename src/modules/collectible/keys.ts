/** State keys of the collectible module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { COLLECTIBLE, type AlbumRecord, type AttestationRecord, type ClassRecord, type TokenRecord } from './types.ts';

export const collectibleKey = {
  class: (id: string) => stateKey<ClassRecord>(`class/${id}`),
  token: (cls: string, serial: number) => stateKey<TokenRecord>(`token/${cls}/${serial}`),
  /** How many tokens of a class a DID holds: what album completion counts. */
  held: (owner: string, cls: string) => stateKey<number>(`held/${owner}/${cls}`),
  /** Block time of a holder's last gift of a class (the cooldown). */
  lastGift: (owner: string, cls: string) => stateKey<number>(`lastgift/${owner}/${cls}`),
  realName: (verifier: string, subject: string) => stateKey<AttestationRecord>(`realname/${verifier}/${subject}`),
  album: (id: string) => stateKey<AlbumRecord>(`album/${id}`),
  /** The serial of the reward a holder got for an album: claimed once. */
  claimed: (album: string, owner: string) => stateKey<number>(`claimed/${album}/${owner}`),
  /** How many classes and albums the chain has, and the id of the n-th (1-based, creation order): for listings. */
  classes: () => stateKey<number>('classes'),
  classAt: (n: number) => stateKey<string>(`classes/${n}`),
  albums: () => stateKey<number>('albums'),
  albumAt: (n: number) => stateKey<string>(`albums/${n}`),
};

/** Full chain-state keys (`collectible/…`), for readers. */
export const collectibleStateKey = fullKeys(COLLECTIBLE, collectibleKey);
