/**
 * Small DOM helpers: elements are built with {@link h}, never from HTML
 * strings, so text from the API is always text.
 */

type Child = Node | string | number | false | null | undefined | Child[];

export interface Props {
  /** Space-separated classes. */
  class?: string;
  /** Attributes (`aria-*`, `data-*`, `role`, `for`, ...); `false`/`undefined` leave one out, `true` sets it empty. */
  [attribute: string]: unknown;
}

/** Creates an element: `h('button', { type: 'button', onclick: fn }, 'Save')`. Properties starting with `on` are listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value as EventListener);
    } else if (name === 'class') {
      element.className = String(value);
    } else if (name === 'value' && 'value' in element) {
      (element as HTMLInputElement).value = String(value);
    } else if (name === 'checked' || name === 'selected' || name === 'disabled' || name === 'hidden' || name === 'required') {
      (element as unknown as Record<string, boolean>)[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) {
      append(parent, child);
    } else {
      parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
  }
}

/** Replaces an element's children. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A unique id for label/control and aria pairs. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled form field: label above the control, an optional hint and an error slot tied with aria-describedby. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  control.id ||= uid('field');
  const hintId = hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    control,
  );
}

/** An inline error box, announced at once (role="alert"). */
export function errorBox(message: string, ...actions: Child[]): HTMLElement {
  return h('div', { 'class': 'notice notice-error', 'role': 'alert', 'data-testid': 'error' },
    h('p', {}, message),
    actions.length > 0 ? h('div', { class: 'actions' }, ...actions) : null,
  );
}

/** A calm inline note (not announced on its own). */
export function note(message: string, kind: 'info' | 'success' = 'info', ...actions: Child[]): HTMLElement {
  return h('div', { class: `notice notice-${kind}` },
    h('p', {}, message),
    actions.length > 0 ? h('div', { class: 'actions' }, ...actions) : null,
  );
}

/** A loading placeholder that assistive technology hears as busy. */
export function loading(label = 'Loading…'): HTMLElement {
  return h('p', { 'class': 'loading', 'role': 'status', 'aria-live': 'polite' }, h('span', { 'class': 'spinner', 'aria-hidden': 'true' }), label);
}

export function button(label: string, onclick: (event: MouseEvent) => void, props: Props = {}): HTMLButtonElement {
  return h('button', { type: 'button', ...props, onclick }, label);
}

/**
 * Runs `work` with the button disabled and busy, so a double click sends
 * nothing twice; the label may say what is happening meanwhile.
 */
export async function busy<T>(control: HTMLButtonElement, work: () => Promise<T>, busyLabel?: string): Promise<T> {
  const label = control.textContent;
  control.disabled = true;
  control.setAttribute('aria-busy', 'true');
  if (busyLabel) control.textContent = busyLabel;
  try {
    return await work();
  } finally {
    control.disabled = false;
    control.removeAttribute('aria-busy');
    if (busyLabel) control.textContent = label;
  }
}
