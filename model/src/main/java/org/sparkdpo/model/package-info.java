package org.sparkdpo.model;
