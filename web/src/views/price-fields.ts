/**
 * The price of a video for purchase: an amount as people type it and a
 * currency, read into the smallest currency unit the API stores.
 */
import type { Price } from '../api';
import { h, uid } from '../dom';
import { parsePrice, priceInput } from '../format';

const CURRENCIES = ['usd', 'eur', 'gbp', 'cad', 'aud', 'chf', 'sek', 'jpy'];

export interface PriceFields {
  readonly element: HTMLFieldSetElement;
  read(): ReturnType<typeof parsePrice>;
  focus(): void;
}

export function priceFields(initial?: Price): PriceFields {
  const amountId = uid('price');
  const currencyId = uid('currency');
  const amount = h('input', {
    'id': amountId,
    'type': 'text',
    'inputmode': 'decimal',
    'name': 'price',
    'autocomplete': 'off',
    'value': initial ? priceInput(initial) : '',
    'placeholder': '4.99',
    'aria-describedby': `${amountId}-hint`,
  });
  const currencies = CURRENCIES.includes(initial?.currency ?? 'usd') ? CURRENCIES : [...CURRENCIES, initial!.currency];
  const currency = h('select', { id: currencyId, name: 'currency' },
    ...currencies.map((code) => h('option', { value: code, selected: code === (initial?.currency ?? 'usd') }, code.toUpperCase())));
  const element = h('fieldset', { class: 'price-fields' },
    h('legend', {}, 'Price'),
    h('div', { class: 'inline-fields' },
      h('div', { class: 'field' }, h('label', { for: amountId }, 'Amount'), amount),
      h('div', { class: 'field' }, h('label', { for: currencyId }, 'Currency'), currency),
    ),
    h('p', { class: 'hint', id: `${amountId}-hint` }, 'What a viewer pays once to watch this video, for example 4.99.'),
  );
  return {
    element,
    read: () => parsePrice(amount.value, currency.value),
    focus: () => amount.focus(),
  };
}
