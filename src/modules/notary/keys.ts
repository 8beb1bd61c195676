/** State key of a record, inside the notary namespace. Full key: `notary/rec/<hash>`. */
export const recordKey = (hash: string): string => `rec/${hash}`;
export const recordStateKey = (hash: string): string => `notary/${recordKey(hash)}`;
