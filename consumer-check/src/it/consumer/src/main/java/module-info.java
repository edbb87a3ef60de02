/** A consumer of Sotto on the module path: it sees the package dev.sotto and nothing internal. */
module example.consumer {
  requires dev.sotto;
  exports example;
}
