// The seed experiments' data, checked against the seeds' own construction.

import { describe, expect, it } from 'vitest';
import { linspace, nextStepWindows, translationWindows } from '../../src/index.js';
import { DATE_FORMATS, Vocabulary, additionTask, datesTask, parseDateQuestion, reversalTask, rotationTask } from '../../src/tasks/characters.js';

describe('task data', () => {
  it('sin -> cos windows as seed 000: 76 windows of 24, decoder input = target shifted right with a leading 0', () => {
    const w = translationWindows(Math.sin, Math.cos, { from: -2 * Math.PI, to: 2 * Math.PI });
    const x = linspace(-2 * Math.PI, 2 * Math.PI, 100);
    expect(w.count).toBe(76);
    expect(w.x[0].shape).toEqual([76, 24, 1]);
    for (const n of [0, 37, 75]) {
      for (let t = 0; t < 24; t++) {
        expect(w.x[0].data[n * 24 + t]).toBeCloseTo(Math.sin(x[n + t]), 6);
        expect(w.y.data[n * 24 + t]).toBeCloseTo(Math.cos(x[n + t]), 6);
        expect(w.x[1].data[n * 24 + t]).toBeCloseTo(t === 0 ? 0 : Math.cos(x[n + t - 1]), 6);
      }
    }
    expect(() => translationWindows(Math.sqrt, Math.cos, { from: -1, to: 1 })).toThrow(/input function is NaN/);
  });

  it('next-step windows as seed 004', () => {
    const series = Array.from({ length: 200 }, (_, i) => i);
    const w = nextStepWindows(series, 20);
    expect(w.count).toBe(180);
    expect(Array.from(w.x.data.slice(20, 40))).toEqual(series.slice(1, 21));
    expect(Array.from(w.y.data.slice(20, 40))).toEqual(series.slice(2, 22));
  });

  it('vocabulary round trip', () => {
    const v = new Vocabulary('0123456789+');
    expect(v.decode(v.encode('12+3', 7))).toBe('12+3');
    expect(v.decode([...v.encode('15'), v.endId, v.id('9')])).toBe('15');
    expect(() => v.encode('1-2')).toThrow(/'-' is not in/);
  });

  it('addition: unique questions, right answers, reversed input, disjoint test set', () => {
    const train = additionTask({ digits: 2, count: 500, seed: 1 });
    const test = additionTask({ digits: 2, count: 100, seed: 2, exclude: new Set(train.questions) });
    expect(new Set(train.questions).size).toBe(500);
    for (const q of test.questions) expect(train.questions).not.toContain(q);
    train.questions.forEach((q, i) => {
      const [a, b] = q.split('+').map(Number);
      expect(train.answers[i]).toBe(String(a + b));
      expect(train.vocabulary.decode(train.target[i])).toBe(String(a + b));
      expect(train.decoderInput[i][0]).toBe(train.vocabulary.startId);
      expect(train.decoderInput[i].slice(1)).toEqual(train.target[i].slice(0, -1));
    });
    const reversed = additionTask({ digits: 2, count: 5, seed: 1, reverse: true });
    expect(reversed.source[0]).toEqual([...train.source[0]].reverse());
    expect(train.sourceLength).toBe(5);
    expect(train.targetLength).toBe(4);
  });

  it("rotation as seed 001: '1234567' shifted by 2 is '6712345'", () => {
    const task = rotationTask({ length: 7, shift: 2, count: 50, seed: 3 });
    task.questions.forEach((q, i) => expect(task.answers[i]).toBe(q.slice(5) + q.slice(0, 5)));
    const five = rotationTask({ length: 5, shift: 2, count: 10, seed: 1 });
    expect(five.answers[0]).toBe(five.questions[0].slice(3) + five.questions[0].slice(0, 3));
  });

  it("reversal of letter strings: 'abc' -> 'cba', unique, a test set apart from training", () => {
    const train = reversalTask({ length: 30, count: 200, seed: 1 });
    const test = reversalTask({ length: 30, count: 50, seed: 2, exclude: new Set(train.questions) });
    expect(train.questions.every((q) => /^[a-z]{30}$/.test(q))).toBe(true);
    train.questions.forEach((q, i) => expect(train.answers[i]).toBe([...q].reverse().join('')));
    expect(new Set(train.questions).size).toBe(200);
    expect(test.questions.some((q) => train.questions.includes(q))).toBe(false);
    expect(train.sourceLength).toBe(30);
    expect(train.targetLength).toBe(31);
  });

  it('dates in 8 formats -> ISO, as the date-conversion-attention example', () => {
    const d = new Date(Date.UTC(2021, 10, 13));
    expect(DATE_FORMATS.map((f) => f(d))).toEqual([
      'Sat, 13 Nov 2021', '11/13/21', 'November 13, 2021', '11/13/2021', '13 November 2021', '13.11.2021', 'NOV 13, 21', 'Saturday, November 13, 2021',
    ]);
    const task = datesTask({ count: 300, seed: 4 });
    // Every answer is the date its question writes: parsed back independently of how it was made.
    task.questions.forEach((q, i) => {
      expect(task.answers[i]).toMatch(/^(19[5-9]\d|20[0-4]\d)-\d\d-\d\d$/);
      if (i < 40) expect(parseDateQuestion(q), q).toBe(task.answers[i]);
    });
    expect(parseDateQuestion('Sat, 13 Nov 2021')).toBe('2021-11-13');
    expect(parseDateQuestion('1/1/50')).toBe('1950-01-01');
    expect(parseDateQuestion('1/1/49')).toBe('2049-01-01');
    expect(parseDateQuestion('Fri, 13 Nov 2021')).toBeUndefined(); // the 13th was a Saturday
    expect(task.sourceLength).toBe(29);
    expect(task.targetLength).toBe(11);
    // Spaces and dots are characters of the questions: padding, start and end are other tokens.
    expect(task.vocabulary.decode(task.vocabulary.encode('13.11.2021 ', 12))).toBe('13.11.2021 ');
    expect(new Set(task.questions).size).toBe(300);
  });
});
