import * as tf from '@tensorflow/tfjs';
import type { NamedTensor, NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types';
import { isEncoderVariable } from '@segkit/encoders';
import { adam } from '@segkit/backend';

/** Adam's running powers β₁ᵗ, β₂ᵗ (not among its getWeights; saved so a resumed step is bit-identical). */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

const ITER = 'iter';

/**
 * Adam for a model with a pretrained encoder: the encoder's variables (`encoder.*`) and the rest
 * each have their own Adam, the encoder's at `lrScale` × the learning rate. Scaling the gradients
 * instead would do nothing — Adam divides by the gradient's own running magnitude — so the encoder
 * needs its own optimizer and state. Two optimizers also keep each Adam's moments aligned with its
 * variables while the encoder is frozen (tfjs's Adam pairs moments with variables by position in
 * the gradient list, which freezing would shift). `minimize` works unchanged; `learningRate` sets
 * both; getWeights/setWeights carry both states (each Adam's list starts with its own 'iter', the
 * decoder's first), plus both β powers, for the training checkpoints.
 */
export class EncoderSplitAdam extends tf.Optimizer {
  static className = 'EncoderSplitAdam';
  readonly decoder: tf.AdamOptimizer;
  readonly encoder: tf.AdamOptimizer;

  constructor(
    lr: number,
    readonly lrScale: number,
  ) {
    super();
    this.decoder = adam(lr);
    this.encoder = adam(lr * lrScale);
  }

  set learningRate(lr: number) {
    (this.decoder as unknown as { learningRate: number }).learningRate = lr;
    (this.encoder as unknown as { learningRate: number }).learningRate = lr * this.lrScale;
  }

  get learningRate(): number {
    return (this.decoder as unknown as { learningRate: number }).learningRate;
  }

  override applyGradients(variableGradients: NamedVariableMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor][] = Array.isArray(variableGradients) ? variableGradients.map((g) => [g.name, g.tensor]) : Object.entries(variableGradients);
    const encoder = entries.filter(([name]) => isEncoderVariable(name));
    const decoder = entries.filter(([name]) => !isEncoderVariable(name));
    if (decoder.length > 0) this.decoder.applyGradients(decoder.map(([name, tensor]) => ({ name, tensor })));
    if (encoder.length > 0) this.encoder.applyGradients(encoder.map(([name, tensor]) => ({ name, tensor })));
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const betas = (name: string, adam: tf.AdamOptimizer): NamedTensor[] => {
      const a = adam as unknown as AdamInternals;
      return [
        { name: `${name}/accBeta1`, tensor: a.accBeta1 },
        { name: `${name}/accBeta2`, tensor: a.accBeta2 },
      ];
    };
    return [...(await this.decoder.getWeights()), ...(await this.encoder.getWeights()), ...betas('decoder', this.decoder), ...betas('encoder', this.encoder)];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const iters = weightValues.flatMap((w, i) => (w.name === ITER ? [i] : []));
    if (iters.length !== 2 || iters[0] !== 0) throw new Error(`EncoderSplitAdam.setWeights: expected two Adam states (two '${ITER}' entries, the first at 0), got ${iters.length}`);
    const isBeta = (w: NamedTensor) => /^(decoder|encoder)\/accBeta[12]$/.test(w.name);
    await this.decoder.setWeights(weightValues.slice(0, iters[1]).filter((w) => !isBeta(w)));
    await this.encoder.setWeights(weightValues.slice(iters[1]).filter((w) => !isBeta(w)));
    for (const w of weightValues.filter(isBeta)) {
      const [part, beta] = w.name.split('/') as ['decoder' | 'encoder', 'accBeta1' | 'accBeta2'];
      (this[part] as unknown as AdamInternals)[beta].assign(w.tensor as tf.Scalar);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, lrScale: this.lrScale };
  }

  override dispose(): void {
    this.decoder.dispose();
    this.encoder.dispose();
    super.dispose();
  }
}
