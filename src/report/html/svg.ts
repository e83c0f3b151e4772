import { SEVERITIES, type EvidencePath, type Severity } from '../../checks/types.js';
import { escapeHtml as esc } from './escape.js';

// Inline SVG pictures for the HTML report. Text is drawn in a monospace font so that its width can be
// estimated without a browser: DejaVu Sans Mono and most other monospace fonts advance 0.6 em per character.

const CHAR_WIDTH = 0.6;
const BOX_WIDTH = 196;
const BOX_HEIGHT = 80;
const BOX_PADDING = 8;
const GAP = 34;
const ROW_GAP = 30;
const MARGIN = 6;
const PER_ROW = 4;

interface PictureNode {
  kind: string;
  id: string;
  decision: string;
  tone: 'allow' | 'deny' | 'neutral' | 'endpoint';
}

/**
 * Draws one network path as boxes joined by arrows: the source, each hop with what it decided, and the
 * target. Long paths wrap after four boxes. Each box's full text is in its tooltip (`<title>`).
 */
export function renderPathSvg(path: EvidencePath): string {
  const nodes = pathNodes(path);
  const rows = Math.ceil(nodes.length / PER_ROW);
  const columns = Math.min(nodes.length, PER_ROW);
  const width = MARGIN * 2 + columns * BOX_WIDTH + (columns - 1) * GAP;
  const height = MARGIN * 2 + rows * BOX_HEIGHT + (rows - 1) * ROW_GAP;
  const position = (index: number) => ({
    x: MARGIN + (index % PER_ROW) * (BOX_WIDTH + GAP),
    y: MARGIN + Math.floor(index / PER_ROW) * (BOX_HEIGHT + ROW_GAP),
  });

  const parts: string[] = [];
  nodes.forEach((node, index) => {
    const { x, y } = position(index);
    if (index > 0) parts.push(connector(position(index - 1), { x, y }));
    parts.push(box(node, x, y));
  });
  const label = `${path.protocol}/${path.port} from ${path.source} to ${path.target.kind} ${path.target.id}, through ${nodes.length - 2} hop(s)`;
  return `<svg class="path-picture" role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function pathNodes(path: EvidencePath): PictureNode[] {
  const nodes: PictureNode[] = [{ kind: 'source', id: path.source, decision: `${path.protocol}/${path.port}`, tone: 'endpoint' }];
  for (const hop of path.hops) nodes.push({ kind: hop.kind, id: hop.id, decision: hop.decision, tone: toneOf(hop.decision) });
  const last = path.hops.at(-1);
  // Engines may end the hop list with the target itself; drawing it twice would suggest one more hop.
  if (!last || last.kind !== path.target.kind || last.id !== path.target.id) {
    nodes.push({ kind: path.target.kind, id: path.target.id, decision: 'target', tone: 'endpoint' });
  }
  return nodes;
}

/**
 * Colours a hop by the words of its decision: red when it contains deny, denied, blocked, dropped or
 * rejected, else green when it contains allow, accept, forward, admit or open, else neutral grey.
 */
function toneOf(decision: string): PictureNode['tone'] {
  if (/\b(deny|denie[ds]|block(ed|s)?|drop(ped|s)?|reject(ed|s)?)\b/i.test(decision)) return 'deny';
  if (/\b(allow(ed|s)?|accept(ed|s)?|forward(ed|s)?|admit(ted|s)?|open)\b/i.test(decision)) return 'allow';
  return 'neutral';
}

function box(node: PictureNode, x: number, y: number): string {
  const inner = BOX_WIDTH - BOX_PADDING * 2;
  const kind = fit(node.kind, inner, 11);
  const id = fit(node.id, inner, 12);
  const decision = wrap(node.decision, inner, 11, 2);
  const tooltip = [node.kind, node.id, node.decision].filter((text) => text.length > 0).join('\n');
  const textX = x + BOX_PADDING;
  const lines = [
    `<text class="node-kind" x="${textX}" y="${y + 17}">${esc(kind)}</text>`,
    `<text class="node-id" x="${textX}" y="${y + 35}">${esc(id)}</text>`,
    ...decision.map((line, index) => `<text class="node-decision" x="${textX}" y="${y + 54 + index * 14}">${esc(line)}</text>`),
  ];
  return `<g class="node tone-${node.tone}"><title>${esc(tooltip)}</title><rect x="${x}" y="${y}" width="${BOX_WIDTH}" height="${BOX_HEIGHT}" rx="6"/>${lines.join('')}</g>`;
}

/** Draws an arrow from one box to the next: straight within a row, down and back to the left between rows. */
function connector(from: { x: number; y: number }, to: { x: number; y: number }): string {
  if (from.y === to.y) {
    const y = from.y + BOX_HEIGHT / 2;
    const startX = from.x + BOX_WIDTH;
    const endX = to.x - 2;
    return `<g class="arrow"><line x1="${startX}" y1="${y}" x2="${endX - 6}" y2="${y}"/><polygon points="${endX},${y} ${endX - 8},${y - 5} ${endX - 8},${y + 5}"/></g>`;
  }
  const startX = from.x + BOX_WIDTH / 2;
  const startY = from.y + BOX_HEIGHT;
  const middleY = startY + ROW_GAP / 2;
  const endX = to.x + BOX_WIDTH / 2;
  const endY = to.y - 2;
  return `<g class="arrow"><polyline points="${startX},${startY} ${startX},${middleY} ${endX},${middleY} ${endX},${endY - 6}"/><polygon points="${endX},${endY} ${endX - 5},${endY - 8} ${endX + 5},${endY - 8}"/></g>`;
}

/** Cuts text to the characters that fit in `width` pixels at `fontSize`, marking the cut with an ellipsis. */
function fit(text: string, width: number, fontSize: number): string {
  const max = Math.floor(width / (fontSize * CHAR_WIDTH));
  const characters = [...text];
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join('')}…`;
}

/** Breaks text into at most `maxLines` lines that fit `width`, preferring spaces, the last line ellipsised. */
function wrap(text: string, width: number, fontSize: number, maxLines: number): string[] {
  const max = Math.floor(width / (fontSize * CHAR_WIDTH));
  const lines: string[] = [];
  let rest = [...text.replace(/\s+/g, ' ').trim()];
  while (rest.length > max && lines.length < maxLines - 1) {
    const space = rest.lastIndexOf(' ', max);
    const cut = space > max / 3 ? space : max;
    lines.push(rest.slice(0, cut).join('').trimEnd());
    rest = [...rest.slice(cut).join('').trimStart()];
  }
  if (rest.length > 0) lines.push(fit(rest.join(''), width, fontSize));
  return lines;
}

/** One cell of the reachability heat map: paths from a source to a target, and the worst finding behind them. */
export interface HeatCell {
  row: string;
  column: string;
  paths: number;
  ports: string[];
  severity: Severity;
}

const CELL_WIDTH = 46;
const CELL_HEIGHT = 26;
const LABEL_FONT = 12;
const MAX_LABEL = 56;

/**
 * Draws the heat map: one row per source, one column per target, each cell the number of paths with the
 * colour of the most severe finding that reported them. Empty cells mean no reported path, not "blocked".
 */
export function renderHeatMapSvg(rows: string[], columns: string[], cells: HeatCell[]): string {
  const rowLabels = rows.map((row) => fit(row, MAX_LABEL * LABEL_FONT * CHAR_WIDTH, LABEL_FONT));
  const columnLabels = columns.map((column) => fit(column, MAX_LABEL * LABEL_FONT * CHAR_WIDTH, LABEL_FONT));
  const left = MARGIN + Math.max(...rowLabels.map((label) => [...label].length)) * LABEL_FONT * CHAR_WIDTH + 10;
  // Column labels are drawn at -45 degrees, so their height is their length times sin(45°).
  const columnExtent = Math.max(...columnLabels.map((label) => [...label].length)) * LABEL_FONT * CHAR_WIDTH * Math.SQRT1_2;
  const top = MARGIN + columnExtent + 16;
  const width = Math.ceil(left + columns.length * CELL_WIDTH + columnExtent + MARGIN);
  const height = Math.ceil(top + rows.length * CELL_HEIGHT + MARGIN);
  const byKey = new Map(cells.map((cell) => [`${cell.row}\u0000${cell.column}`, cell]));

  const parts: string[] = [];
  columns.forEach((column, index) => {
    const x = left + index * CELL_WIDTH + CELL_WIDTH / 2;
    parts.push(`<text class="heat-column" transform="translate(${x.toFixed(1)} ${(top - 6).toFixed(1)}) rotate(-45)"><title>${esc(column)}</title>${esc(columnLabels[index] as string)}</text>`);
  });
  rows.forEach((row, rowIndex) => {
    const y = top + rowIndex * CELL_HEIGHT;
    parts.push(`<text class="heat-row" x="${(left - 8).toFixed(1)}" y="${(y + CELL_HEIGHT / 2 + 4).toFixed(1)}"><title>${esc(row)}</title>${esc(rowLabels[rowIndex] as string)}</text>`);
    columns.forEach((column, columnIndex) => {
      const x = left + columnIndex * CELL_WIDTH;
      const cell = byKey.get(`${row}\u0000${column}`);
      if (!cell) {
        parts.push(`<rect class="heat-empty" x="${x.toFixed(1)}" y="${y}" width="${CELL_WIDTH - 2}" height="${CELL_HEIGHT - 2}"/>`);
        return;
      }
      const tooltip = `${row} → ${column}\n${cell.paths} path(s) on ${cell.ports.join(', ')}\nmost severe finding: ${cell.severity}`;
      parts.push(
        `<g class="heat-cell sev-${cell.severity}"><title>${esc(tooltip)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${CELL_WIDTH - 2}" height="${CELL_HEIGHT - 2}" rx="3"/><text x="${(x + CELL_WIDTH / 2 - 1).toFixed(1)}" y="${y + CELL_HEIGHT / 2 + 3}">${cell.paths}</text></g>`,
      );
    });
  });
  const label = `Reachability heat map: ${rows.length} source(s) by ${columns.length} target(s), ${cells.length} reachable pair(s)`;
  return `<svg class="heat-map" role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
