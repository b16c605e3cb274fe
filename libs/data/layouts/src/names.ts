import type { ImageFiles } from './descriptor';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regular expression matching a whole `{stem}` template, the stem as group 1 (`a.png` → `a`). */
export function templateRegExp(template: string, flags = ''): RegExp {
  const [before, after] = template.split('{stem}');
  return new RegExp(`^${escapeRegExp(before)}(.+)${escapeRegExp(after)}$`, flags);
}

/** The template with the stem filled in: `fillTemplate('{stem}_mask.gif', 'a_01')` is `a_01_mask.gif`. */
export function fillTemplate(template: string, stem: string): string {
  return template.replace('{stem}', stem);
}

/** The stem a file name matches in a template, or undefined. */
export function stemOf(template: string, fileName: string): string | undefined {
  return templateRegExp(template).exec(fileName)?.[1];
}

/** How the competition spells the image with this stem (`{stem}.jpg` for Airbus). */
export function idOfStem(images: Pick<ImageFiles, 'id'>, stem: string): string {
  return fillTemplate(images.id, stem);
}

/** The stem of a competition id, or undefined when the id does not have the layout's spelling. */
export function stemOfId(images: Pick<ImageFiles, 'id'>, id: string): string | undefined {
  return stemOf(images.id, id);
}
