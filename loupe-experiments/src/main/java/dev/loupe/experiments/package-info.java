/**
 * Experiments as library code: paper reproductions and training recipes a Java user can run and
 * extend. Each experiment lives in its own package ({@code bigram}, {@code skiptrigrams},
 * {@code induction}, {@code grokking}, {@code superposition}, …) as a settings record, a
 * {@code run(progress)} that returns a result record, and report writers (Markdown, HTML, JSON,
 * PNG). The CLI only parses flags, calls the experiment and renders its result.
 */
package dev.loupe.experiments;
