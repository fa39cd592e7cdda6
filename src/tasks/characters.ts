// Character-level seq2seq tasks (seed 001 and Keras' addition example): a vocabulary that encodes and
// decodes strings, N-digit addition ('12+3' -> '15') with optional reversed input, and rotation
// ('1234567' shifted by 2 -> '6712345'). Seeded, with train/test splits that share no question.

import { seededRandom } from '../layers/random.js';

export class Vocabulary {
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;

  /** `tokens[0]` is the padding token; `start` and `end` are added if given. */
  constructor(characters: string, readonly pad = ' ', readonly start = '_', readonly end = '.') {
    const all = [pad, start, end, ...characters].filter((c, i, list) => list.indexOf(c) === i);
    this.tokens = Object.freeze(all);
    this.index = new Map(all.map((c, i) => [c, i]));
  }

  get size(): number {
    return this.tokens.length;
  }

  get padId(): number {
    return this.id(this.pad);
  }

  get startId(): number {
    return this.id(this.start);
  }

  get endId(): number {
    return this.id(this.end);
  }

  id(token: string): number {
    const id = this.index.get(token);
    if (id === undefined) throw new RangeError(`vocabulary: '${token}' is not in [${this.tokens.join('')}]`);
    return id;
  }

  /** Token ids of `text`, padded with the pad token to `length` (throws when longer). */
  encode(text: string, length = text.length): number[] {
    if (text.length > length) throw new RangeError(`vocabulary: '${text}' is longer than ${length}`);
    return [...text.padEnd(length, this.pad)].map((c) => this.id(c));
  }

  /** Text of token ids, stopping at the end token and dropping padding. */
  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const token = this.tokens[ids[i]];
      if (token === undefined) throw new RangeError(`vocabulary: id ${ids[i]} is out of range [0, ${this.size})`);
      if (token === this.end) break;
      if (token !== this.pad && token !== this.start) text += token;
    }
    return text;
  }
}

export interface CharacterTask {
  vocabulary: Vocabulary;
  questions: string[];
  answers: string[];
  /** Encoder input ids [N, sourceLength] (reversed when asked). */
  source: number[][];
  /** Decoder input ids [N, targetLength]: start token, then the answer shifted right. */
  decoderInput: number[][];
  /** Target ids [N, targetLength]: the answer, then the end token, then padding. */
  target: number[][];
  sourceLength: number;
  targetLength: number;
}

function build(vocabulary: Vocabulary, questions: string[], answers: string[], sourceLength: number, answerLength: number, reverse: boolean): CharacterTask {
  const targetLength = answerLength + 1; // room for the end token
  const source = questions.map((q) => {
    const ids = vocabulary.encode(q, sourceLength);
    return reverse ? ids.reverse() : ids;
  });
  const target = answers.map((a) => vocabulary.encode(a + vocabulary.end, targetLength));
  const decoderInput = target.map((t) => [vocabulary.startId, ...t.slice(0, targetLength - 1)]);
  return { vocabulary, questions, answers, source, decoderInput, target, sourceLength, targetLength };
}

export interface AdditionOptions {
  digits: number;
  count: number;
  /** Reverse the question characters (seed 001: it helps). */
  reverse?: boolean;
  seed?: number;
  /** Questions to leave out (e.g. the training set's, when making a test set). */
  exclude?: ReadonlySet<string>;
}

/** 'a+b' -> 'a+b' evaluated, a and b with 1..digits digits; unique questions. */
export function additionTask(options: AdditionOptions): CharacterTask {
  const { digits, count } = options;
  const vocabulary = new Vocabulary('0123456789+');
  const random = seededRandom(options.seed ?? 0);
  const number = () => {
    const length = 1 + Math.floor(random() * digits);
    let value = '';
    for (let i = 0; i < length; i++) value += Math.floor(random() * 10);
    return Number(value);
  };
  const max = 10 ** digits;
  const possible = max * max;
  const excluded = options.exclude?.size ?? 0;
  if (count > possible - excluded) throw new RangeError(`additionTask: only ${possible - excluded} distinct ${digits}-digit questions`);
  const seen = new Set<string>(options.exclude ?? []);
  const questions: string[] = [];
  const answers: string[] = [];
  while (questions.length < count) {
    const a = number();
    const b = number();
    const question = `${a}+${b}`;
    if (seen.has(question)) continue;
    seen.add(question);
    questions.push(question);
    answers.push(String(a + b));
  }
  return build(vocabulary, questions, answers, 2 * digits + 1, digits + 1, options.reverse ?? false);
}

export interface RotationOptions {
  length: number;
  shift: number;
  count: number;
  reverse?: boolean;
  seed?: number;
  exclude?: ReadonlySet<string>;
}

/** Digit strings of `length` rotated right by `shift` ('1234567', 2 -> '6712345'); unique questions. */
export function rotationTask(options: RotationOptions): CharacterTask {
  const { length, shift, count } = options;
  const vocabulary = new Vocabulary('0123456789');
  const random = seededRandom(options.seed ?? 0);
  if (count > 10 ** length - (options.exclude?.size ?? 0)) throw new RangeError(`rotationTask: not enough distinct strings of length ${length}`);
  const seen = new Set<string>(options.exclude ?? []);
  const questions: string[] = [];
  const answers: string[] = [];
  const s = ((shift % length) + length) % length;
  while (questions.length < count) {
    let q = '';
    for (let i = 0; i < length; i++) q += Math.floor(random() * 10);
    if (seen.has(q)) continue;
    seen.add(q);
    questions.push(q);
    answers.push(q.slice(length - s) + q.slice(0, length - s));
  }
  return build(vocabulary, questions, answers, length, length, options.reverse ?? false);
}

export interface ReversalOptions {
  length: number;
  count: number;
  seed?: number;
  exclude?: ReadonlySet<string>;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Strings of `length` lowercase letters reversed ('abc' -> 'cba'); unique questions. */
export function reversalTask(options: ReversalOptions): CharacterTask {
  const { length, count } = options;
  const vocabulary = new Vocabulary(LETTERS);
  const random = seededRandom(options.seed ?? 0);
  if (count > 26 ** length - (options.exclude?.size ?? 0)) throw new RangeError(`reversalTask: not enough distinct strings of length ${length}`);
  const seen = new Set<string>(options.exclude ?? []);
  const questions: string[] = [];
  while (questions.length < count) {
    let q = '';
    for (let i = 0; i < length; i++) q += LETTERS[Math.floor(random() * 26)];
    if (seen.has(q)) continue;
    seen.add(q);
    questions.push(q);
  }
  return build(vocabulary, questions, questions.map((q) => [...q].reverse().join('')), length, length, false);
}

export interface DateOptions {
  count: number;
  seed?: number;
  exclude?: ReadonlySet<string>;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** The ways a date is written (the date-conversion-attention example's kinds), for a UTC date. */
export const DATE_FORMATS: readonly ((d: Date) => string)[] = [
  (d) => `${DAYS[d.getUTCDay()].slice(0, 3)}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()].slice(0, 3)} ${d.getUTCFullYear()}`, // Sat, 13 Nov 2021
  (d) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${pad2(d.getUTCFullYear() % 100)}`, // 11/13/21
  (d) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`, // November 13, 2021
  (d) => `${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${d.getUTCFullYear()}`, // 11/13/2021
  (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`, // 13 November 2021
  (d) => `${pad2(d.getUTCDate())}.${pad2(d.getUTCMonth() + 1)}.${d.getUTCFullYear()}`, // 13.11.2021
  (d) => `${MONTHS[d.getUTCMonth()].slice(0, 3).toUpperCase()} ${pad2(d.getUTCDate())}, ${pad2(d.getUTCFullYear() % 100)}`, // NOV 13, 21
  (d) => `${DAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`, // Saturday, November 13, 2021
];

/** The ISO form of a date, the task's answer: '2021-11-13'. */
export const isoDate = (d: Date) => `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;

/** The first and last day dates are drawn from (two-digit years read as 1950-2049). */
const FIRST_DAY = Date.UTC(1950, 0, 1);
const LAST_DAY = Date.UTC(2049, 11, 31);
const DAY = 86_400_000;

/** The date a question (in any of DATE_FORMATS) writes, as its ISO form; undefined when it is none of them. */
export function parseDateQuestion(question: string): string | undefined {
  for (let t = FIRST_DAY; t <= LAST_DAY; t += DAY) {
    const d = new Date(t);
    if (DATE_FORMATS.some((f) => f(d) === question)) return isoDate(d);
  }
  return undefined;
}

const DATE_CHARACTERS = [...new Set([...MONTHS, ...DAYS].join('') + MONTHS.join('').toUpperCase() + '0123456789-/,. ')].join('');

/** Dates between 1950 and 2049 in one of DATE_FORMATS -> 'YYYY-MM-DD'; unique questions. */
export function datesTask(options: DateOptions): CharacterTask {
  // Its own padding, start and end tokens: spaces and dots are part of the questions.
  const vocabulary = new Vocabulary(DATE_CHARACTERS, '#', '^', '$');
  const random = seededRandom(options.seed ?? 0);
  const days = (LAST_DAY - FIRST_DAY) / DAY + 1;
  if (options.count > days * DATE_FORMATS.length - (options.exclude?.size ?? 0)) throw new RangeError('datesTask: not enough distinct dates');
  const seen = new Set<string>(options.exclude ?? []);
  const questions: string[] = [];
  const answers: string[] = [];
  while (questions.length < options.count) {
    const d = new Date(FIRST_DAY + Math.floor(random() * days) * DAY);
    const question = DATE_FORMATS[Math.floor(random() * DATE_FORMATS.length)](d);
    if (seen.has(question)) continue;
    seen.add(question);
    questions.push(question);
    answers.push(isoDate(d));
  }
  const longest = Math.max(...[new Date(Date.UTC(2021, 8, 29))].flatMap((d) => DATE_FORMATS.map((f) => f(d).length)));
  return build(vocabulary, questions, answers, longest, 10, false);
}
