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
