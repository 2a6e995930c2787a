/**
 * Hugging Face {@code config.json} of the architectures we run ({@link org.sparkdpo.model.config.ModelConfig}),
 * validated at load time with messages that name the file and the field.
 */
package org.sparkdpo.model.config;
