/** A fenced code block of a Markdown file. */
export interface FencedBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** Why it is not run, from an `<!-- illustrative: why -->` line right before it. */
  illustrative: string | undefined;
  lines: string[];
}

/** The blocks fenced as ```lang (exactly) in `text`. */
export function fencedBlocks(text: string, lang: string): FencedBlock[] {
  const lines = text.split('\n');
  const blocks: FencedBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (lines[index] !== `\`\`\`${lang}`) continue;
    let before = index - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = /^<!-- illustrative: (.+) -->$/.exec(lines[before] ?? '');
    const block: FencedBlock = { line: index + 1, illustrative: marker?.[1], lines: [] };
    for (index++; index < lines.length && lines[index] !== '```'; index++) {
      block.lines.push(lines[index]!);
    }
    blocks.push(block);
  }
  return blocks;
}
