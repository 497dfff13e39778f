/**
 * The model zoo that --model names resolve to: MLP, LeNet and ResNet-18 for MNIST-shaped and
 * CIFAR-shaped inputs, with PyTorch-compatible parameter names so published checkpoints load.
 */
package dev.nrpm.models;
