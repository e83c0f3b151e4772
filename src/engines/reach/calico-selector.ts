// A recursive-descent parser for Calico's selector expressions, as documented for projectcalico.org/v3
// policies (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors):
//
//   expression := or
//   or         := and ('||' and)*
//   and        := unary ('&&' unary)*
//   unary      := '!' unary | primary
//   primary    := '(' expression ')' | 'all()' | 'global()' | 'has(' key ')'
//               | key ('==' | '!=') string | key ['not'] 'in' '{' [string (',' string)*] '}'
//               | key 'contains' string | key 'starts with' string | key 'ends with' string
//
// `k != 'v'` and `k not in {…}` also match objects without the label k, as in Calico.

export type SelectorNode =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; key: string }
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'contains' | 'startswith' | 'endswith'; key: string; value: string }
  | { op: 'not'; operand: SelectorNode }
  | { op: 'and' | 'or'; operands: SelectorNode[] };

export class SelectorSyntaxError extends Error {}

/** Where a selector is evaluated: `global` is true for objects outside any namespace (global network sets). */
export interface SelectorSubject {
  labels: Record<string, string>;
  global?: boolean;
}

/** Parses a selector; the empty string (or only spaces) selects everything, like `all()`. */
export function parseCalicoSelector(text: string): SelectorNode {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { op: 'all' };
  const parser = new Parser(tokens, text);
  const node = parser.expression();
  parser.expectEnd();
  return node;
}

export function matchesCalicoSelector(node: SelectorNode, subject: SelectorSubject): boolean {
  const labels = subject.labels;
  switch (node.op) {
    case 'all':
      return true;
    case 'global':
      return subject.global === true;
    case 'has':
      return hasLabel(labels, node.key);
    case 'eq':
      return hasLabel(labels, node.key) && labels[node.key] === node.value;
    case 'ne':
      return !hasLabel(labels, node.key) || labels[node.key] !== node.value;
    case 'in':
      return hasLabel(labels, node.key) && node.values.includes(labels[node.key] as string);
    case 'notin':
      return !hasLabel(labels, node.key) || !node.values.includes(labels[node.key] as string);
    case 'contains':
      return hasLabel(labels, node.key) && (labels[node.key] as string).includes(node.value);
    case 'startswith':
      return hasLabel(labels, node.key) && (labels[node.key] as string).startsWith(node.value);
    case 'endswith':
      return hasLabel(labels, node.key) && (labels[node.key] as string).endsWith(node.value);
    case 'not':
      return !matchesCalicoSelector(node.operand, subject);
    case 'and':
      return node.operands.every((operand) => matchesCalicoSelector(operand, subject));
    case 'or':
      return node.operands.some((operand) => matchesCalicoSelector(operand, subject));
  }
}

/** Whether the selector mentions `global()` anywhere, which widens a namespaceSelector to global objects. */
export function mentionsGlobal(node: SelectorNode): boolean {
  switch (node.op) {
    case 'global':
      return true;
    case 'not':
      return mentionsGlobal(node.operand);
    case 'and':
    case 'or':
      return node.operands.some(mentionsGlobal);
    default:
      return false;
  }
}

/** The label keys a selector reads, for messages. */
export function selectorKeys(node: SelectorNode): string[] {
  switch (node.op) {
    case 'all':
    case 'global':
      return [];
    case 'not':
      return selectorKeys(node.operand);
    case 'and':
    case 'or':
      return [...new Set(node.operands.flatMap(selectorKeys))];
    default:
      return [node.key];
  }
}

function hasLabel(labels: Record<string, string>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

type Token = { kind: 'word' | 'string' | 'symbol'; text: string; position: number };

const SYMBOLS = ['&&', '||', '==', '!=', '!', '(', ')', '{', '}', ','];
const WORD = /[A-Za-z0-9_./\-]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === "'" || char === '"') {
      const end = text.indexOf(char, i + 1);
      if (end === -1) throw new SelectorSyntaxError(`unterminated string at position ${i} in selector ${JSON.stringify(text)}`);
      tokens.push({ kind: 'string', text: text.slice(i + 1, end), position: i });
      i = end + 1;
      continue;
    }
    const symbol = SYMBOLS.find((candidate) => text.startsWith(candidate, i));
    if (symbol) {
      tokens.push({ kind: 'symbol', text: symbol, position: i });
      i += symbol.length;
      continue;
    }
    if (WORD.test(char)) {
      let end = i;
      while (end < text.length && WORD.test(text[end] as string)) end++;
      tokens.push({ kind: 'word', text: text.slice(i, end), position: i });
      i = end;
      continue;
    }
    throw new SelectorSyntaxError(`unexpected character ${JSON.stringify(char)} at position ${i} in selector ${JSON.stringify(text)}`);
  }
  return tokens;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  expression(): SelectorNode {
    const operands = [this.and()];
    while (this.accept('symbol', '||')) operands.push(this.and());
    return operands.length === 1 ? (operands[0] as SelectorNode) : { op: 'or', operands };
  }

  expectEnd(): void {
    const token = this.tokens[this.index];
    if (token) this.fail(`unexpected ${JSON.stringify(token.text)}`, token);
  }

  private and(): SelectorNode {
    const operands = [this.unary()];
    while (this.accept('symbol', '&&')) operands.push(this.unary());
    return operands.length === 1 ? (operands[0] as SelectorNode) : { op: 'and', operands };
  }

  private unary(): SelectorNode {
    if (this.accept('symbol', '!')) return { op: 'not', operand: this.unary() };
    return this.primary();
  }

  private primary(): SelectorNode {
    if (this.accept('symbol', '(')) {
      const node = this.expression();
      this.expect('symbol', ')');
      return node;
    }
    const word = this.expect('word');
    const next = this.tokens[this.index];
    if (next?.kind === 'symbol' && next.text === '(' && ['all', 'global', 'has'].includes(word.text)) {
      this.index++;
      if (word.text === 'has') {
        const key = this.expect('word').text;
        this.expect('symbol', ')');
        return { op: 'has', key };
      }
      this.expect('symbol', ')');
      return { op: word.text as 'all' | 'global' };
    }
    return this.comparison(word.text);
  }

  private comparison(key: string): SelectorNode {
    if (this.accept('symbol', '==')) return { op: 'eq', key, value: this.expect('string').text };
    if (this.accept('symbol', '!=')) return { op: 'ne', key, value: this.expect('string').text };
    if (this.accept('word', 'in')) return { op: 'in', key, values: this.set() };
    if (this.accept('word', 'not')) {
      this.expect('word', 'in');
      return { op: 'notin', key, values: this.set() };
    }
    if (this.accept('word', 'contains')) return { op: 'contains', key, value: this.expect('string').text };
    if (this.accept('word', 'starts')) {
      this.expect('word', 'with');
      return { op: 'startswith', key, value: this.expect('string').text };
    }
    if (this.accept('word', 'ends')) {
      this.expect('word', 'with');
      return { op: 'endswith', key, value: this.expect('string').text };
    }
    return this.fail(`expected an operator after label ${JSON.stringify(key)}`, this.tokens[this.index]);
  }

  private set(): string[] {
    this.expect('symbol', '{');
    const values: string[] = [];
    if (this.accept('symbol', '}')) return values;
    values.push(this.expect('string').text);
    while (this.accept('symbol', ',')) values.push(this.expect('string').text);
    this.expect('symbol', '}');
    return values;
  }

  private accept(kind: Token['kind'], text?: string): boolean {
    const token = this.tokens[this.index];
    if (!token || token.kind !== kind || (text !== undefined && token.text !== text)) return false;
    this.index++;
    return true;
  }

  private expect(kind: Token['kind'], text?: string): Token {
    const token = this.tokens[this.index];
    if (!token || token.kind !== kind || (text !== undefined && token.text !== text)) {
      const wanted = text === undefined ? (kind === 'string' ? 'a quoted string' : `a ${kind}`) : JSON.stringify(text);
      return this.fail(`expected ${wanted}`, token);
    }
    this.index++;
    return token;
  }

  private fail(message: string, token: Token | undefined): never {
    const where = token ? `at position ${token.position}` : 'at the end';
    throw new SelectorSyntaxError(`${message} ${where} in selector ${JSON.stringify(this.text)}`);
  }
}
