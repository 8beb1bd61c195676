#!/usr/bin/env node
// Shulian CLI entry: registers tsx so the TypeScript sources run as they are (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
