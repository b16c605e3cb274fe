export {
  METRIC_NAMES,
  layoutDescriptorSchema,
  rleFlavourSchema,
  imageFilesSchema,
  maskFilesSchema,
  maskCsvSchema,
  masksSchema,
  sampleSubmissionSchema,
  submissionFormatSchema,
  depthsSchema,
} from './descriptor';
export type {
  MetricName,
  LayoutDescriptor,
  LayoutDescriptorInput,
  RleFlavourSpec,
  ImageFiles,
  MaskFiles,
  MaskCsv,
  SampleSubmission,
  SubmissionFormat,
} from './descriptor';
export { LAYOUTS, LAYOUT_NAMES, layoutByName, parseLayout } from './table';
export { templateRegExp, fillTemplate, stemOf, idOfStem, stemOfId } from './names';
