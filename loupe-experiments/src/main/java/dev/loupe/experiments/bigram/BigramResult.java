package dev.loupe.experiments.bigram;

import dev.loupe.model.Gpt;
import dev.loupe.tokens.CharTokenizer;

/**
 * What {@link BigramReproduction} found. KL divergences are KL(q‖p) in nats from the counted bigram
 * distribution q(·|a), averaged over the current token a weighted by its corpus frequency.
 *
 * @param gpt            the trained 0-layer model
 * @param tokenizer      its alphabet, one letter per token
 * @param klModel        KL to the model's next-token distribution (through the final LayerNorm)
 * @param klDirectPath   KL to softmax(W_E·W_U), the raw direct path
 * @param klUnigram      KL to the unigram distribution: the best prediction without context
 * @param top1Model      tokens whose most likely successor the model predicts, of {@link BigramReproduction#VOCAB}
 * @param top1DirectPath the same for softmax(W_E·W_U)
 * @param bigramEntropy  entropy of the counted bigram distribution (nats, frequency-weighted)
 * @param unigramEntropy entropy of the unigram distribution (nats)
 * @param lossFirst      training loss of the first step
 * @param lossLast       training loss of the last step
 */
public record BigramResult(BigramReproduction.Settings settings, Gpt gpt, CharTokenizer tokenizer, double klModel,
                           double klDirectPath, double klUnigram, int top1Model, int top1DirectPath, double bigramEntropy,
                           double unigramEntropy, float lossFirst, float lossLast) {
    /** The paper's claim holds for the model: KL below a tenth of the unigram reference, top-1 agreement ≥ 90 %. */
    public boolean modelMatched() {
        return klModel < 0.1 * klUnigram && top1Model >= 0.9 * BigramReproduction.VOCAB;
    }

    /** It holds for W_E·W_U alone: top-1 agreement ≥ 90 %, KL below half the unigram reference. */
    public boolean directPathMatched() {
        return top1DirectPath >= 0.9 * BigramReproduction.VOCAB && klDirectPath < 0.5 * klUnigram;
    }
}
