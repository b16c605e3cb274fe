// The end-to-end tests start the pipeline's own Nx runs. Under `nx run pipeline:test` they would
// inherit NX_INVOCATION_ROOT_PID, and Nx would count every run, in every test file at once, as one
// nested invocation and refuse a fold task that a sibling run has already registered ("Recursive
// task invocation detected"). Each of those runs is a run of its own.
delete process.env.NX_INVOCATION_ROOT_PID;
// Nx also forces colour in its tasks' environment; the nested runs' output is parsed for the
// tasks they ran ("> nx run pipeline:<target>"), which must not arrive wrapped in ANSI codes.
delete process.env.FORCE_COLOR;
