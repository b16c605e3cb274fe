/**
 * Test helpers that parse just enough SVG to check structure: balanced tags and the numeric
 * coordinates every drawn element uses.
 */

/**
 * Throws unless every opened tag is closed in order (self-closing tags count as both; `voids` are
 * HTML elements that never close, e.g. img, meta, br).
 */
export function assertBalanced(markup: string, voids: readonly string[] = []): void {
  const stack: string[] = [];
  for (const m of markup.matchAll(/<(\/?)([a-zA-Z][\w:-]*)\b[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing || voids.includes(name.toLowerCase())) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) throw new Error(`unbalanced </${name}> at ${m.index}`);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

export function viewBox(svg: string): { width: number; height: number } {
  const m = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  if (!m) throw new Error('no viewBox');
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Every x-like and y-like coordinate of lines, circles, rects, texts and polylines. */
export function coordinates(svg: string): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const m of svg.matchAll(/\s(x|x1|x2|cx|y|y1|y2|cy)="(-?[\d.]+)"/g)) (m[1].startsWith('x') || m[1] === 'cx' ? xs : ys).push(Number(m[2]));
  for (const m of svg.matchAll(/<rect [^>]*>/g)) {
    const x = Number(/ x="(-?[\d.]+)"/.exec(m[0])?.[1]);
    const y = Number(/ y="(-?[\d.]+)"/.exec(m[0])?.[1]);
    xs.push(x + Number(/ width="(-?[\d.]+)"/.exec(m[0])?.[1]));
    ys.push(y + Number(/ height="(-?[\d.]+)"/.exec(m[0])?.[1]));
  }
  for (const m of svg.matchAll(/points="([^"]*)"/g)) {
    for (const pair of m[1].trim().split(/\s+/)) {
      const [x, y] = pair.split(',').map(Number);
      xs.push(x);
      ys.push(y);
    }
  }
  return { xs, ys };
}

export function polylines(svg: string): string[] {
  return [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1]);
}
