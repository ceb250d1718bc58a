type Child = Node | string | number | null | undefined | false | readonly Child[];
type Props = Record<string, string | number | boolean | EventListener | undefined>;

/** Makes an element: `h('button', { onclick: save, class: 'primary' }, 'Save')`. Strings become text, never HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name in element && name !== 'list') (element as unknown as Record<string, unknown>)[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything in `parent` with `children`. */
export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export const money = (amount: number) => `€${amount.toFixed(2)}`;

export const time = (ms: number) => new Date(ms).toLocaleString();

/** One page of a list query's answer. */
export interface ListPage<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/**
 * A "More" button under a list that shows one page: it loads the page after `next`, hands its items to `add`,
 * and gives way to the button of the page after that. Nothing when there is no page after.
 */
export function more<T>(
  next: string | null,
  load: (cursor: string) => Promise<ListPage<T>>,
  add: (items: readonly T[]) => void,
): HTMLElement | null {
  if (next === null) return null;
  const button: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      class: 'more',
      'data-testid': 'more',
      onclick: async () => {
        button.disabled = true;
        try {
          const page = await load(next);
          add(page.items);
          const after = more(page.next, load, add);
          if (after === null) button.remove();
          else button.replaceWith(after);
        } catch (error) {
          button.disabled = false;
          button.title = error instanceof Error ? error.message : String(error);
        }
      },
    },
    'More',
  );
  return button;
}
