"""The blind arena: battles of two or three unnamed models (``battles``) and the human-preference leaderboard
(``board``), a Bradley–Terry fit of the chat votes with blind and named votes apart."""
