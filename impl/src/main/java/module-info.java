/**
 * Sotto's reference implementation. Its API is the package {@code dev.sotto}; the internal
 * packages are exported only to the project's own conformance runner, node and benchmarks (on
 * the module path; on the class path nothing hides them, and nothing in them is API).
 */
module dev.sotto {
  requires org.bouncycastle.provider;

  exports dev.sotto;

  exports dev.sotto.internal to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.backup to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.crypto to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.encoding to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.envelope to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.group to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.handshake to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.ratchet to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
  exports dev.sotto.internal.transport to dev.sotto.conformance, dev.sotto.node, dev.sotto.benchmarks;
}
