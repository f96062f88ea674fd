"""What is written and its rules: ``tracks`` and ``snapshots`` (their rows, checks and merges;
the time ranges and the days each covers), ``bulk`` (the staged merge), ``meta`` (small facts
in app_meta) and ``access`` (who may write: every writer checks a Grant)."""
