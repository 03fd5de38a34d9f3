"""Command line: ``xjr`` parses arguments and calls the stages."""
