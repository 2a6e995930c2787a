/**
 * Text to token ids exactly as Hugging Face does it in Python: {@link org.sparkdpo.model.tokenizer.HfTokenizer}
 * (DJL's binding of the Rust tokenizers library, never truncating or padding), {@code tokenizer_config.json}
 * ({@link org.sparkdpo.model.tokenizer.TokenizerConfig}) and chat templates
 * ({@link org.sparkdpo.model.tokenizer.ChatTemplate}, jinjava configured like transformers' Jinja environment).
 */
package org.sparkdpo.model.tokenizer;
