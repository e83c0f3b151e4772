/**
 * Escapes text for HTML element content and for quoted attribute values, in HTML and inline SVG alike.
 * Every value that comes from a snapshot or a report passes through this one function.
 */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (character) => ENTITIES[character] as string);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Serialises data for a `<script type="application/json">` block. Escaping `<` as `\u003c` means no value
 * can close the element (`</script>`) or open a comment (`<!--`), and JSON.parse still returns the
 * original text. U+2028 and U+2029 are escaped as well, so the text is also a valid JavaScript literal.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
