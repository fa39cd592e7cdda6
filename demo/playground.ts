// After training a character task: ask the model questions (greedy Seq2Seq.generate), its accuracy on
// the held-out test set (exact match and per position, the whole set decoded in one call), and the
// cosine similarity of the characters' learned embeddings (seed 001).

import type { Seq2Seq } from 'webrnn';
import { $, el, errorMessage, formatMs, percent } from './dom.js';
import { state } from './state.js';
import type { Task } from './tasks.js';
import type { Trained } from './trainer.js';
import { similarityTable } from './similarity.js';

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
    Object.assign(state.playground, { trained: false, answer: null, exactMatch: null });
    $<HTMLInputElement>('question').disabled = true;
    $<HTMLButtonElement>('ask-btn').disabled = true;
    $('answer').replaceChildren();
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
    $<HTMLButtonElement>('ask-btn').disabled = false;
    const { reverse } = task.options;
    $('playground-intro').textContent = `Trained on ${task.train.questions.length} ${task.info.id === 'addition' ? 'additions' : 'rotations'}` +
      `${reverse ? ' (input reversed, as the model saw it)' : ''}. Type ${task.hint}.`;
    try {
      await this.evaluate(model, task);
      await similarityTable(model, task.train.vocabulary);
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
    const text = $<HTMLInputElement>('question').value.replace(/\s+/g, '');
    const answer = $('answer');
    if (!task.pattern.test(text)) {
      answer.replaceChildren(el('span', `Type ${task.hint}.`, 'wrong'));
      return;
    }
    const vocab = task.train.vocabulary;
    const ids = vocab.encode(text, task.train.sourceLength);
    if (task.options.reverse) ids.reverse();
    try {
      const options = { maxLength: task.train.targetLength, startToken: vocab.startId, endToken: vocab.endId };
      // The first one-question call builds its decode plan; time the calls that reuse it.
      if (!current.warm) await model.generate([ids], options);
      current.warm = true;
      const start = performance.now();
      const out = await model.generate([ids], options);
      const ms = performance.now() - start;
      if (this.current !== current) return;
      const reply = vocab.decode(out.data);
      const expected = correctAnswer(task, text);
      state.playground.answer = reply;
      answer.replaceChildren(
        el('span', `${text} → `),
        el('b', reply || '(nothing)', reply === expected ? 'right' : 'wrong'),
        el('span', reply === expected ? '  ✓' : `  ✗ (correct: ${expected})`, reply === expected ? 'right' : 'wrong'),
        el('small', `   decoded in ${formatMs(ms)}`),
      );
    } catch (error) {
      answer.replaceChildren(el('span', `Decoding failed: ${errorMessage(error)}`, 'wrong'));
    }
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

function correctAnswer(task: CharacterTask, question: string): string {
  if (task.info.id === 'addition') {
    const [a, b] = question.split('+').map(Number);
    return String(a + b);
  }
  return question.slice(3) + question.slice(0, 3); // rotate right by 2 over 5 characters
}
