// BERT encoder (spec 1.4) in LibTorch. Module names mirror Hugging Face's BertModel, so a
// named_parameters() walk gives exactly the tensor names of docs/model-format.md.
#pragma once

#include <torch/nn.h>

#include "model/linear.h"
#include "mulan/config.h"

namespace mulan::model {

struct BertEmbeddingsImpl : torch::nn::Module {
  explicit BertEmbeddingsImpl(const BertConfig& c);
  // ids: [B, L] int64 -> [B, L, H]
  torch::Tensor forward(const torch::Tensor& ids);

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertEmbeddings);

struct BertSelfAttentionImpl : torch::nn::Module {
  explicit BertSelfAttentionImpl(const BertConfig& c);
  // x: [B, L, H], mask_bias: [B, 1, 1, L] (0 for tokens, a large negative for padding) -> [B, L, H]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_bias);

  int heads;
  Linear query{nullptr}, key{nullptr}, value{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertSelfAttention);

// dense -> dropout -> LayerNorm(x + residual): BertSelfOutput and BertOutput alike.
struct BertResidualOutputImpl : torch::nn::Module {
  BertResidualOutputImpl(int in, const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual);

  Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertResidualOutput);

struct BertAttentionImpl : torch::nn::Module {
  explicit BertAttentionImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_bias);

  BertSelfAttention self{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertIntermediateImpl : torch::nn::Module {
  explicit BertIntermediateImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& x);  // dense -> exact (erf) GELU

  Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_bias);

  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertEncoderImpl : torch::nn::Module {
  explicit BertEncoderImpl(const BertConfig& c);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask_bias);

  torch::nn::ModuleList layer{nullptr};  // encoder.layer.{i}.*
};
TORCH_MODULE(BertEncoder);

struct BertModelImpl : torch::nn::Module {
  explicit BertModelImpl(const BertConfig& c);
  // ids, mask: [B, L] int64 (mask 1 for tokens, 0 for padding) -> [B, L, H]
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);

  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
};
TORCH_MODULE(BertModel);

// The text tower: BERT, its [CLS] vector through Linear(hidden, d), L2-normalised.
struct TextTowerImpl : torch::nn::Module {
  TextTowerImpl(const BertConfig& c, int embed_dim);
  // ids, mask: [B, L] int64 -> [B, d], unit length
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);

  BertModel bert{nullptr};
  Linear proj{nullptr};
};
TORCH_MODULE(TextTower);

// Hugging Face's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorm.
void init_bert_weights(torch::nn::Module& m);

}  // namespace mulan::model
