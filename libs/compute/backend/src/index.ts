export { fileSystemIO, saveLayersModel, loadLayersModel, MODEL_JSON, WEIGHTS_BIN } from './model-io';
export { saveTensors, loadTensors } from './tensor-file';
