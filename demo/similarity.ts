// Cosine similarity of the learned character embeddings (seed 001): the encoder's Embedding table is the
// first weight of a token-input encoder, [vocab, dim]. Drawn as a coloured table, with the most and the
// least similar pairs listed as in the seed.

import type { Seq2Seq } from 'webrnn';
import type { Vocabulary } from '../src/tasks/characters.js';
import { $, el } from './dom.js';

/** `only`: the characters to compare (default: every character the encoder reads). */
export async function similarityTable(model: Seq2Seq, vocab: Vocabulary, only?: string): Promise<void> {
  const table = (await model.getWeights())[0];
  const dim = table.length / vocab.size;
  if (!Number.isInteger(dim)) throw new Error(`the first weight has ${table.length} values, not [${vocab.size}, dim]`);
  // The characters the encoder reads: padding and the task's symbols (start and end only reach the decoder).
  const ids = only ? [...only].map((c) => vocab.id(c)) : vocab.tokens.map((_, id) => id).filter((id) => id !== vocab.startId && id !== vocab.endId);
  const label = (id: number) => (id === vocab.padId ? '␣' : vocab.tokens[id]);
  const row = (id: number) => table.subarray(id * dim, (id + 1) * dim);
  const cos = (a: number, b: number) => {
    const [u, v] = [row(a), row(b)];
    let [dot, nu, nv] = [0, 0, 0];
    for (let k = 0; k < dim; k++) {
      dot += u[k] * v[k];
      nu += u[k] * u[k];
      nv += v[k] * v[k];
    }
    return dot / Math.sqrt(nu * nv || 1);
  };

  const head = el('tr');
  head.append(el('th'), ...ids.map((id) => el('th', label(id))));
  const rows = ids.map((a) => {
    const tr = el('tr');
    tr.append(el('th', label(a)));
    for (const b of ids) {
      const value = cos(a, b);
      const cell = el('td', value.toFixed(2));
      cell.style.background = heat(value);
      tr.append(cell);
    }
    return tr;
  });
  $('similarity').replaceChildren(head, ...rows);

  const pairs: { a: number; b: number; value: number }[] = [];
  ids.forEach((a, i) => ids.slice(i + 1).forEach((b) => pairs.push({ a, b, value: cos(a, b) })));
  pairs.sort((p, q) => q.value - p.value);
  const list = (items: typeof pairs) => items.map((p) => `${label(p.a)},${label(p.b)} ${p.value.toFixed(2)}`).join(' · ');
  $('similar-pairs').textContent = `Most similar: ${list(pairs.slice(0, 6))}. Least similar: ${list(pairs.slice(-6).reverse())}.`;
}

/** Red for +1, white for 0, blue for -1. */
function heat(value: number): string {
  const v = Math.max(-1, Math.min(1, value));
  const fade = Math.round(255 - 165 * Math.abs(v));
  return v >= 0 ? `rgb(255, ${fade}, ${fade})` : `rgb(${fade}, ${fade}, 255)`;
}
