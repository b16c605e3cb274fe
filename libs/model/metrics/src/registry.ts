/**
 * The competition metrics by name: one table, from which the config schema's enum, the docs and
 * every reduction read. A metric scores one image at a time and the leaderboard score is the mean
 * over images; area metrics score an image from three pixel counts, object metrics from its
 * labelled objects.
 */
import type { MetricName as LayoutMetricName } from '@segkit/layouts';
import { diceImageScore } from './dice';
import { tgsImageScore } from './tgs-score';

export interface MetricInfo {
  /** Short name for tables and logs, e.g. "mAP". */
  label: string;
  /** One line for the docs and the report. */
  description: string;
  /** The competitions scored this way. */
  competitions: string;
  /**
   * Score of one image from pixel counts (area metrics); absent for object metrics, which need the
   * objects themselves (see thresholdStats' object statistics).
   */
  areaScore?: (intersection: number, predArea: number, truthArea: number) => number;
}

export const METRICS = {
  'tgs-map': {
    label: 'mAP',
    description: 'mean over images of the precision at IoU 0.50–0.95 of the one predicted mask (empty truth: 1 iff the prediction is empty)',
    competitions: 'TGS Salt Identification',
    areaScore: tgsImageScore,
  },
  dice: {
    label: 'Dice',
    description: 'mean over images of 2·|A∩B| / (|A| + |B|), an empty prediction on an empty truth scoring 1',
    competitions: 'Carvana Image Masking, SIIM-ACR Pneumothorax',
    areaScore: diceImageScore,
  },
  'f2-objects': {
    label: 'F2',
    description:
      'mean over images of F2 = 5·TP / (5·TP + 4·FN + FP) averaged over IoU 0.50–0.95, objects matched at IoU > t (predicted objects: 8-connected components; no object on either side: 1)',
    competitions: 'Airbus Ship Detection',
  },
} as const satisfies Record<LayoutMetricName, MetricInfo>; // exactly the names a layout descriptor may give

export type MetricName = keyof typeof METRICS;

/** The metric names, for the config schema's enum. */
export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];

/** The metric of a name; an unknown name is an error listing the known ones. */
export function metricInfo(name: string): MetricInfo {
  const info = (METRICS as Record<string, MetricInfo>)[name];
  if (info === undefined) throw new Error(`unknown metric "${name}" (known: ${METRIC_NAMES.join(', ')})`);
  return info;
}

/**
 * Score of an image whose prediction is empty, for every metric here: 1 when the truth is empty
 * too (no object on either side; empty/empty Dice; TGS's empty rule), else 0.
 */
export function emptyPredictionScore(truthEmpty: boolean): number {
  return truthEmpty ? 1 : 0;
}
