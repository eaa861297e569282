/*===- NotAPlugin.c - A shared library without nnc_plugin_entry -----------===*
 *
 * A perfectly good shared library that is not an nnc plugin: the host must
 * say so instead of crashing or loading it.
 *
 *===----------------------------------------------------------------------===*/

__attribute__((visibility("default"))) int not_an_nnc_plugin(void) {
  return 42;
}
