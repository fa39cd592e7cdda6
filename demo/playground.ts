// After training a character task: ask the model questions (greedy Seq2Seq.generate), with the alignment
// of a model that attends (which question characters each answer character looked at, as a heatmap), its
// accuracy on the held-out test set (exact match and per position, the whole set decoded in one call),
// and the cosine similarity of the characters' learned embeddings (seed 001).

import type { Seq2Seq } from 'webrnn';
import { $, el, errorMessage, formatMs, percent } from './dom.js';
import { state } from './state.js';
import type { Task } from './tasks.js';
import type { Trained } from './trainer.js';
import { similarityTable } from './similarity.js';
import { heatmap } from '../src/plot/heatmap.js';

type CharacterTask = Extract<Task, { kind: 'characters' }>;

export class Playground {
  private current: { model: Seq2Seq; task: CharacterTask; warm: boolean } | null = null;

  constructor() {
    $('ask-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.ask();
    });
  }

  clear(): void {
    this.current = null;
    Object.assign(state.playground, { trained: false, answer: null, exactMatch: null, alignment: null });
    $<HTMLInputElement>('question').disabled = true;
    $<HTMLButtonElement>('ask-btn').disabled = true;
    $('answer').replaceChildren();
    $('alignment').replaceChildren();
    $('alignment').hidden = true;
    $('evaluation').hidden = true;
  }

  async load(trained: Trained): Promise<void> {
    const task = trained.task as CharacterTask;
    const model = trained.model as Seq2Seq;
    this.current = { model, task, warm: false };
    const question = $<HTMLInputElement>('question');
    question.placeholder = task.example;
    question.value = task.example;
    question.disabled = false;
    question.inputMode = task.attends ? 'text' : 'numeric'; // dates have letters; the others are digits
    $<HTMLButtonElement>('ask-btn').disabled = false;
    const { reverse } = task.options;
    const noun = { addition: 'additions', rotation: 'rotations', dates: 'dates' }[task.info.id as 'addition' | 'rotation' | 'dates'];
    $('playground-intro').textContent = `Trained on ${task.train.questions.length} ${noun}` +
      `${reverse ? ' (input reversed, as the model saw it)' : ''}. Type ${task.hint}.`;
    try {
      await this.evaluate(model, task);
      await similarityTable(model, task.train.vocabulary, task.compared);
      $('evaluation').hidden = false;
      state.playground.trained = true;
      await this.ask();
    } catch (error) {
      $('exact-match').textContent = `Evaluation failed: ${errorMessage(error)}`;
      $('evaluation').hidden = false;
    }
  }

  private async ask(): Promise<void> {
    const current = this.current;
    if (!current) return;
    const { model, task } = current;
    const text = task.clean($<HTMLInputElement>('question').value);
    const answer = $('answer');
    if (!task.pattern.test(text)) {
      answer.replaceChildren(el('span', `Type ${task.hint}.`, 'wrong'));
      return;
    }
    const vocab = task.train.vocabulary;
    const ids = vocab.encode(text, task.train.sourceLength);
    if (task.options.reverse) ids.reverse();
    try {
      const options = { maxLength: task.train.targetLength, startToken: vocab.startId, endToken: vocab.endId, ...(task.attends ? { returnAttention: true } : {}) };
      // The first one-question call builds its decode plan; time the calls that reuse it.
      if (!current.warm) await model.generate([ids], options);
      current.warm = true;
      const start = performance.now();
      const out = await model.generate([ids], options);
      const ms = performance.now() - start;
      if (this.current !== current) return;
      const reply = vocab.decode(out.data);
      const expected = task.answer(text);
      state.playground.answer = reply;
      const verdict = expected === undefined
        ? el('span', '  (not one of the formats it was trained on)')
        : el('span', reply === expected ? '  ✓' : `  ✗ (correct: ${expected})`, reply === expected ? 'right' : 'wrong');
      answer.replaceChildren(
        el('span', `${text} → `),
        el('b', reply || '(nothing)', expected === undefined ? undefined : reply === expected ? 'right' : 'wrong'),
        verdict,
        el('small', `   decoded in ${formatMs(ms)}`),
      );
      if (out.attention) this.showAlignment(text, ids, reply, out.attention.data);
    } catch (error) {
      answer.replaceChildren(el('span', `Decoding failed: ${errorMessage(error)}`, 'wrong'));
    }
  }

  /** The attention weights of each answer character (and the end token) over the question's characters. */
  private showAlignment(question: string, ids: number[], reply: string, weights: Float32Array): void {
    const vocab = this.current!.task.train.vocabulary;
    const rows = [...reply, vocab.end].slice(0, this.current!.task.train.targetLength);
    const columns = ids.map((id) => (id === vocab.padId ? '·' : vocab.tokens[id]));
    const figure = $('alignment');
    figure.innerHTML = heatmap({
      title: `attention of each answer character over '${question}'`, rows, columns,
      values: weights.subarray(0, rows.length * columns.length), rowLabel: 'answer', columnLabel: 'question (encoder input)',
    });
    figure.hidden = false;
    state.playground.alignment = { rows: rows.length, columns: columns.length };
  }

  private async evaluate(model: Seq2Seq, task: CharacterTask): Promise<void> {
    const { test } = task;
    const vocab = test.vocabulary;
    const T = test.targetLength;
    const start = performance.now();
    const out = await model.generate(test.source, { maxLength: T, startToken: vocab.startId, endToken: vocab.endId });
    const ms = performance.now() - start;
    const n = test.questions.length;
    let exact = 0;
    const right = new Array<number>(T).fill(0);
    const samples: HTMLElement[] = [];
    for (let i = 0; i < n; i++) {
      const row = out.data.subarray(i * T, (i + 1) * T);
      const reply = vocab.decode(row);
      if (reply === test.answers[i]) exact++;
      // Per position, against the target row (answer, end token, padding); after the end token the
      // decoder's output is padding.
      const ended = Array.from(row).indexOf(vocab.endId);
      for (let t = 0; t < T; t++) {
        const token = ended >= 0 && t > ended ? vocab.padId : row[t];
        if (token === test.target[i][t]) right[t]++;
      }
      if (i < 12) {
        samples.push(el('li', `${test.questions[i]} → ${reply || '∅'} ${reply === test.answers[i] ? '✓' : `✗ ${test.answers[i]}`}`, reply === test.answers[i] ? 'right' : 'wrong'));
      }
    }
    state.playground.exactMatch = exact / n;
    $('exact-match').textContent = `Exact match: ${percent(exact / n)} of ${n} questions never seen in training ` +
      `(all decoded in one generate() call: ${formatMs(ms)}).`;
    const header = el('tr');
    const values = el('tr');
    header.append(el('th', 'position'));
    values.append(el('th', 'accuracy'));
    for (let t = 0; t < T; t++) {
      header.append(el('th', t === T - 1 ? `${t + 1} (end)` : String(t + 1)));
      values.append(el('td', percent(right[t] / n)));
    }
    $('positions').replaceChildren(header, values);
    $('samples').replaceChildren(...samples);
  }
}
