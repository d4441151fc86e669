"""Pure text rules over a transcript's words and sentences, knowing no episode: the text stage's rules in
order (normalize, with TEXT_VERSION) built from standard spelling (baku), spelling repair (spelling),
casing, numbers (numbers, itn), and the sentence and word helpers they share (sentences, words); and the
text work that picks chapters (chapters) and highlights (highlights)."""
