// The reference for mulan's BERT tokenizer: Hugging Face tokenizers (npm, pinned in
// package.json), run by tests/text/tokenizer_reference_test.cpp.
//
//   node tests/node/bert_reference.js DIR
//
// Reads DIR/corpus.txt (training text) and DIR/strings.json (an array of strings), and writes:
//   DIR/vocab.txt   a WordPiece vocabulary trained by HF's WordPiece trainer on corpus.txt,
//                   behind [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0 to 4)
//   DIR/ids.json    {"ids": [[...]] (max_length 512), "short": [[...]] (max_length 16),
//                    "batch": {"ids": [[...]], "mask": [[...]]} (the first 64 strings, padded)}
//                   from WordPiece(vocab.txt) + BertNormalizer + BertPreTokenizer +
//                   BertProcessing, truncated to max_length
//   DIR/sweep.json  for each block of 4096 code points (U+0000 to U+10FFFF, surrogates left
//                   out), the words that BertNormalizer + BertPreTokenizer make of the block's
//                   characters joined by spaces, themselves joined by spaces
'use strict'
const fs = require('fs')
const path = require('path')

let hf
try {
  hf = require('tokenizers')
} catch (e) {
  console.error(`bert_reference.js: cannot load the npm package 'tokenizers' (${e.message.split('\n')[0]}); ` +
    'run scripts/install-deps.sh, or npm ci in tests/node')
  process.exit(3)
}

const kSpecials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']

function bertNormalizer() {
  return hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true })
}

// Trains WordPiece on the corpus with HF's trainer (the model's default WordPieceTrainer:
// "##" continuations, vocabulary up to 30000) and writes vocab.txt, specials first.
function trainVocab(corpus, vocabPath) {
  const tok = new hf.Tokenizer(hf.WordPiece.init({}, { unkToken: '[UNK]' }))
  tok.setNormalizer(bertNormalizer())
  tok.setPreTokenizer(hf.bertPreTokenizer())
  tok.train([corpus])
  const trained = Object.entries(tok.getVocab(false)).sort((a, b) => a[1] - b[1]).map((e) => e[0])
  const tokens = kSpecials.concat(trained.filter((t) => !kSpecials.includes(t)))
  fs.writeFileSync(vocabPath, tokens.join('\n') + '\n')
  return tokens.length
}

async function reference(vocabPath, maxLength) {
  const model = await hf.WordPiece.fromFile(vocabPath, {
    unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100,
  })
  const tok = new hf.Tokenizer(model)
  tok.setNormalizer(bertNormalizer())
  tok.setPreTokenizer(hf.bertPreTokenizer())
  tok.setPostProcessor(hf.bertProcessing(['[SEP]', tok.tokenToId('[SEP]')], ['[CLS]', tok.tokenToId('[CLS]')]))
  tok.setTruncation(maxLength)
  return tok
}

function sweep() {
  const normalizer = bertNormalizer()
  const pre = hf.bertPreTokenizer()
  const blocks = []
  for (let first = 0; first <= 0x10ffff; first += 4096) {
    const chars = []
    for (let c = first; c < first + 4096; c++) {
      if (c < 0xd800 || c > 0xdfff) chars.push(String.fromCodePoint(c))
    }
    const words = pre.preTokenizeString(normalizer.normalizeString(chars.join(' '))).map((w) => w[0])
    blocks.push(words.join(' '))
  }
  return blocks
}

async function main() {
  const dir = process.argv[2]
  if (!dir) {
    console.error('usage: node bert_reference.js DIR')
    process.exit(2)
  }
  const vocabPath = path.join(dir, 'vocab.txt')
  const size = trainVocab(path.join(dir, 'corpus.txt'), vocabPath)
  const strings = JSON.parse(fs.readFileSync(path.join(dir, 'strings.json'), 'utf8'))

  const full = await reference(vocabPath, 512)
  const ids = (await full.encodeBatch(strings)).map((e) => e.getIds())
  const short = (await (await reference(vocabPath, 16)).encodeBatch(strings)).map((e) => e.getIds())
  full.setPadding({ padId: full.tokenToId('[PAD]'), padToken: '[PAD]' })
  const padded = await full.encodeBatch(strings.slice(0, 64))
  const batch = { ids: padded.map((e) => e.getIds()), mask: padded.map((e) => e.getAttentionMask()) }
  fs.writeFileSync(path.join(dir, 'ids.json'), JSON.stringify({ ids, short, batch }))

  fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify(sweep()))
  console.log(`bert_reference.js: vocab of ${size} tokens, ${strings.length} strings, tokenizers ` +
    require('tokenizers/package.json').version)
}

main().catch((e) => {
  console.error(`bert_reference.js: ${e.stack || e}`)
  process.exit(1)
})
