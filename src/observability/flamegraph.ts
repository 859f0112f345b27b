// flamegraph.ts: folded stacks -> a self-contained SVG flame graph (no
// script, no external resources): one box per frame, its width by samples,
// callers below callees, the name in the box and in a <title> tooltip, so a
// browser's find (Ctrl-F) searches the names. Every name is XML-escaped:
// symbol names come from the guest image.
const WIDTH = 1200;
const ROW = 16;
const PAD = 10;
const CHAR = 7; // px per character at font-size 12 (monospace)

interface Node {
  name: string;
  count: number;
  children: Map<string, Node>;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '?');

function hue(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return `rgb(${205 + (h % 50)},${80 + ((h >> 8) % 130)},${(h >> 16) % 55})`;
}

export function flameGraphSvg(stacks: ReadonlyMap<string, number>, opts: { title: string; subtitle?: string }): string {
  const root: Node = { name: 'all', count: 0, children: new Map() };
  let depthMax = 0;
  for (const [stack, count] of stacks) {
    root.count += count;
    let node = root;
    const frames = stack.split(';');
    depthMax = Math.max(depthMax, frames.length);
    for (const f of frames) {
      let child = node.children.get(f);
      if (!child) node.children.set(f, (child = { name: f, count: 0, children: new Map() }));
      child.count += count;
      node = child;
    }
  }
  const top = 3 * ROW + PAD;
  const height = top + (depthMax + 1) * ROW + PAD;
  const scale = root.count > 0 ? (WIDTH - 2 * PAD) / root.count : 0;
  const boxes: string[] = [];
  const draw = (node: Node, depth: number, x: number) => {
    const w = node.count * scale;
    if (w < 0.1) return;
    const y = height - PAD - (depth + 1) * ROW;
    const pct = root.count ? ((100 * node.count) / root.count).toFixed(2) : '0';
    const name = escapeXml(node.name);
    const fits = Math.floor((w - 6) / CHAR);
    const label = fits >= 3 ? escapeXml(node.name.length > fits ? `${node.name.slice(0, fits - 2)}..` : node.name) : '';
    boxes.push(`<g><title>${name} (${node.count} samples, ${pct}%)</title><rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 1}" fill="${hue(node.name)}" rx="2"/>` + (label ? `<text x="${(x + 3).toFixed(1)}" y="${y + ROW - 4}">${label}</text>` : '') + '</g>');
    let cx = x;
    for (const child of [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      draw(child, depth + 1, cx);
      cx += child.count * scale;
    }
  };
  draw(root, 0, PAD);
  return [
    `<?xml version="1.0" standalone="no"?>`,
    `<svg version="1.1" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<style>text{font-family:monospace;font-size:12px;fill:#000}rect:hover{stroke:#000;stroke-width:0.5}</style>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#fdf6e3"/>`,
    `<text x="${WIDTH / 2}" y="${ROW + 4}" text-anchor="middle" style="font-size:16px">${escapeXml(opts.title)}</text>`,
    opts.subtitle ? `<text x="${WIDTH / 2}" y="${2 * ROW + 6}" text-anchor="middle">${escapeXml(opts.subtitle)}</text>` : '',
    ...boxes,
    `</svg>`,
    '',
  ].join('\n');
}
