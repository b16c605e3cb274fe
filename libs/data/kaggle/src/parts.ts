import { join } from 'node:path';
import { chooseLayout } from './detect';

/** The folders and files of a competition folder by what reads them (the pipeline's cache keys). */
export interface DataParts {
  /** Training images, mask folder, mask CSV, extras (TGS depths.csv). */
  train: string[];
  /** The test images' folder. */
  test: string[];
  /** The sample submission (empty when the layout has none). */
  sample: string[];
}

/** The paths of each data part of a folder read with the layout of a `data.layout` setting. */
export function dataParts(dataDir: string, setting: unknown = 'auto'): DataParts {
  const l = chooseLayout(dataDir, setting);
  const at = (p: string | undefined) => (p === undefined ? [] : [join(dataDir, p)]);
  return {
    train: [...at(l.train.images.dir), ...at(l.train.masks.files?.dir), ...at(l.train.masks.csv?.file), ...at(l.extras.depths?.file)],
    test: at(l.test.images.dir),
    sample: at(l.sampleSubmission?.file),
  };
}
