/**
 * Escapes text for HTML and SVG text and attribute contents (double-quoted attributes). Image ids,
 * config strings and file paths all pass through here: `<script>` must show, never run.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
