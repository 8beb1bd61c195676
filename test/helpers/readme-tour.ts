/**
 * The README's tour as data: the `sh` code blocks of its "## A tour" section, each command split
 * into words the way a POSIX shell would for these simple lines (quotes, `&&`, a trailing
 * `# comment`). test/tour.test.ts runs them, so editing the README changes what is tested.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './node-process.ts';

export interface TourBlock {
  /** The prose just before the block. */
  intro: string;
  /** Its command lines as written, placeholders (<hash>) and all; shellWords splits one once they are filled in. */
  lines: string[];
}

/** Splits one command line into commands and words: '…' and "…" quoting, `&&`, and a `#` comment after whitespace. */
export function shellWords(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  let i = 0;
  const end = (): void => {
    if (word !== undefined) commands[commands.length - 1]!.push(word);
    word = undefined;
  };
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === "'" || ch === '"') {
      const close = line.indexOf(ch, i + 1);
      if (close < 0) throw new Error(`unclosed ${ch} in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close + 1;
    } else if (ch === ' ' || ch === '\t') {
      end();
      i++;
    } else if (ch === '#' && word === undefined) {
      break;
    } else if (ch === '&' && line[i + 1] === '&' && word === undefined) {
      commands.push([]);
      i += 2;
    } else if ('\\|;<>$`'.includes(ch)) {
      // The tour keeps to plain commands: anything a shell treats specially means the line needs
      // a shell, and this reader would run it wrongly. (Placeholders such as <hash> are replaced
      // before a line is split.)
      throw new Error(`the tour's commands are plain (no ${ch}); this line needs a shell: ${line}`);
    } else {
      word = (word ?? '') + ch;
      i++;
    }
  }
  end();
  return commands.filter((c) => c.length > 0);
}

/** The tour's code blocks, in order. */
export function readmeTour(file = join(repoRoot, 'README.md')): TourBlock[] {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('\n## A tour');
  if (start < 0) throw new Error('README.md has no "## A tour" section');
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  const blocks: TourBlock[] = [];
  const fence = /```sh\n([\s\S]*?)```/g;
  let last = 0;
  for (let m = fence.exec(section); m; m = fence.exec(section)) {
    const intro = section.slice(last, m.index).trim().split('\n\n').pop() ?? '';
    last = m.index + m[0].length;
    const lines = m[1]!.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    blocks.push({ intro, lines });
  }
  return blocks;
}
