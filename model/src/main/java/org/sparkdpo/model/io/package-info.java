/**
 * Reading and writing Hugging Face safetensors files and checkpoint folders.
 *
 * <p>Why this package exists: base weights, LoRA adapters, gradients and debug dumps all travel as safetensors, the
 * format transformers, PEFT and vLLM load. The reader memory-maps files and validates the header strictly before any
 * data is touched, so a corrupt or hostile file fails with a message naming the file instead of producing garbage
 * weights; the writer produces files the reference tools accept, atomically.
 */
package org.sparkdpo.model.io;
