"""The reading side: corpus files → articles (front matter, archive header
lines, credit blocks) → paragraph passages (chunker) with their interview
turns. Nothing here knows about vectors, indexes or questions."""
