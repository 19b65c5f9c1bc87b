// The status region of the example pages: one aria-live element per page that shows each outcome in words.

/**
 * Replaces what the region shows. The region is aria-live, so screen readers announce the change.
 * Everything is set as text: a message from the server never becomes markup.
 *
 * @param {HTMLElement} region
 * @param {{ kind: 'ok' | 'error', title: string, text: string, list?: string[], link?: { href: string, text: string } }} outcome
 * @returns {HTMLElement} the outcome's heading, which can take focus
 */
export function showStatus (region, { kind, title, text, list = [], link }) {
  const heading = element('h2', title)
  heading.tabIndex = -1
  const parts = [heading, element('p', text)]
  if (list.length > 0) {
    const items = document.createElement('ul')
    items.append(...list.map((item) => element('li', item)))
    parts.push(items)
  }
  if (link !== undefined) {
    const anchor = element('a', link.text)
    anchor.href = link.href
    const paragraph = document.createElement('p')
    paragraph.append(anchor)
    parts.push(paragraph)
  }
  region.className = `status ${kind}`
  region.replaceChildren(...parts)
  return heading
}

/** Empties the region (and so hides it). */
export function clearStatus (region) {
  region.className = 'status'
  region.replaceChildren()
}

/** Disables a form's button while its request is in flight, and says so to assistive technology. */
export function setBusy (form, busy) {
  form.setAttribute('aria-busy', String(busy))
  form.querySelector('button[type="submit"]').disabled = busy
}

function element (name, text) {
  const node = document.createElement(name)
  node.textContent = text
  return node
}
