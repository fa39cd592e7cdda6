// Small DOM and formatting helpers shared by the demo's sections.

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`demo: element #${id} is missing from index.html`);
  return node as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** The value of a number field, or an Error naming the field and the allowed range. */
export function readNumber(id: string, { min, max, integer = false }: { min: number; max: number; integer?: boolean }): number {
  const input = $<HTMLInputElement>(id);
  const value = Number(input.value);
  const name = input.labels?.[0]?.textContent?.trim() || id;
  if (input.value.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

/** Sets a form field's value (used when a task preset changes the fields). */
export function setValue(id: string, value: string | number | boolean): void {
  const input = $<HTMLInputElement | HTMLSelectElement>(id);
  if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = Boolean(value);
  else input.value = String(value);
}

export function showStatus(id: string, text: string, tone: 'info' | 'ok' | 'bad' = 'info'): void {
  const node = $(id);
  node.textContent = text;
  node.className = `status ${tone}`;
}

export function formatLoss(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return String(value);
  return value < 1e-2 || value >= 1e4 ? value.toExponential(2) : value.toPrecision(3);
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatRate(perSecond: number): string {
  return perSecond >= 1e4 ? `${(perSecond / 1000).toFixed(0)}k` : perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toPrecision(3);
}

export function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
}
