export { defineFlags, parseFlags, integerFlag, HELP_FLAG } from './flags';
export type { FlagSpec, FlagSpecs, FlagValues, ParsedFlags, ParseOptions } from './flags';
export { formatHelp, flagLines, flagSyntax, flagDescription, wrap, listedFlags } from './help';
export type { FlagGroup, HelpText } from './help';
export { markdownTable, plainCell, flagTableMismatches, exportedNames, undocumentedExports } from './docs';
