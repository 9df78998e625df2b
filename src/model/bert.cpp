#include "model/bert.h"

#include <torch/torch.h>

#include <cmath>

namespace mulan::model {
namespace nn = torch::nn;

namespace {
nn::LayerNorm layer_norm(const BertConfig& c) {
  return nn::LayerNorm(nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}
}  // namespace

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) {
  word_embeddings = register_module("word_embeddings", nn::Embedding(c.vocab_size, c.hidden_size));
  position_embeddings = register_module("position_embeddings", nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings = register_module("token_type_embeddings", nn::Embedding(c.type_vocab_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm", layer_norm(c));
  dropout = register_module("dropout", nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& ids) {
  // ids: [B, L] -> [B, L, H]; positions 0..L-1, segment 0 everywhere
  const int64_t L = ids.size(1);
  const auto pos = torch::arange(L, ids.options()).unsqueeze(0);
  auto x = word_embeddings(ids) + position_embeddings(pos) + token_type_embeddings->weight[0];
  return dropout(LayerNorm(x));
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig& c) : heads(c.num_attention_heads) {
  query = register_module("query", Linear(c.hidden_size, c.hidden_size));
  key = register_module("key", Linear(c.hidden_size, c.hidden_size));
  value = register_module("value", Linear(c.hidden_size, c.hidden_size));
  dropout = register_module("dropout", nn::Dropout(c.attention_probs_dropout_prob));
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask_bias) {
  // x: [B, L, H] -> [B, L, H]
  const int64_t B = x.size(0), L = x.size(1), H = x.size(2), D = H / heads;
  auto split = [&](const torch::Tensor& t) { return t.view({B, L, heads, D}).transpose(1, 2); };  // [B, h, L, D]
  const auto q = split(query(x)), k = split(key(x)), v = split(value(x));
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(D)) + mask_bias;
  auto probs = dropout(torch::softmax(scores, -1));
  return torch::matmul(probs, v).transpose(1, 2).reshape({B, L, H});
}

BertResidualOutputImpl::BertResidualOutputImpl(int in, const BertConfig& c) {
  dense = register_module("dense", Linear(in, c.hidden_size));
  LayerNorm = register_module("LayerNorm", layer_norm(c));
  dropout = register_module("dropout", nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor BertResidualOutputImpl::forward(const torch::Tensor& x, const torch::Tensor& residual) {
  return LayerNorm(dropout(dense(x)) + residual);
}

BertAttentionImpl::BertAttentionImpl(const BertConfig& c) {
  self = register_module("self", BertSelfAttention(c));
  output = register_module("output", BertResidualOutput(c.hidden_size, c));
}

torch::Tensor BertAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask_bias) {
  return output(self(x, mask_bias), x);
}

BertIntermediateImpl::BertIntermediateImpl(const BertConfig& c) {
  dense = register_module("dense", Linear(c.hidden_size, c.intermediate_size));
}

torch::Tensor BertIntermediateImpl::forward(const torch::Tensor& x) { return torch::gelu(dense(x)); }

BertLayerImpl::BertLayerImpl(const BertConfig& c) {
  attention = register_module("attention", BertAttention(c));
  intermediate = register_module("intermediate", BertIntermediate(c));
  output = register_module("output", BertResidualOutput(c.intermediate_size, c));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask_bias) {
  const auto a = attention(x, mask_bias);
  return output(intermediate(a), a);
}

BertEncoderImpl::BertEncoderImpl(const BertConfig& c) {
  layer = register_module("layer", nn::ModuleList());
  for (int i = 0; i < c.num_hidden_layers; ++i) layer->push_back(BertLayer(c));
}

torch::Tensor BertEncoderImpl::forward(torch::Tensor x, const torch::Tensor& mask_bias) {
  for (const auto& l : *layer) x = l->as<BertLayer>()->forward(x, mask_bias);
  return x;
}

BertModelImpl::BertModelImpl(const BertConfig& c) {
  embeddings = register_module("embeddings", BertEmbeddings(c));
  encoder = register_module("encoder", BertEncoder(c));
}

torch::Tensor BertModelImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  // The additive mask: 0 where mask is 1, the dtype's lowest value where it is 0 (as HF).
  auto x = embeddings(ids);
  const auto keep = mask.to(x.dtype()).unsqueeze(1).unsqueeze(2);  // [B, 1, 1, L]
  const auto mask_bias = (1.0 - keep) * std::numeric_limits<float>::lowest();
  return encoder(x, mask_bias);
}

TextTowerImpl::TextTowerImpl(const BertConfig& c, int embed_dim) {
  bert = register_module("bert", BertModel(c));
  proj = register_module("proj", Linear(c.hidden_size, embed_dim));
}

torch::Tensor TextTowerImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  const auto cls = bert(ids, mask).select(1, 0);  // [B, H]
  return nn::functional::normalize(proj(cls), nn::functional::NormalizeFuncOptions().dim(-1));
}

void init_bert_weights(nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& item : m.named_parameters()) {
    const std::string& name = item.key();
    at::Tensor& p = item.value();
    const bool norm = name.find("LayerNorm") != std::string::npos;
    if (name.ends_with("bias")) {
      p.zero_();
    } else if (norm) {
      p.fill_(1.0);
    } else {
      p.normal_(0.0, 0.02);
    }
  }
}

}  // namespace mulan::model
